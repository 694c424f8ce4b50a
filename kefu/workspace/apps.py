from django.apps import AppConfig


class WorkspaceConfig(AppConfig):
    name = "kefu.workspace"
    label = "workspace"
