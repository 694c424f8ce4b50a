from django.apps import AppConfig


class ContactsConfig(AppConfig):
    name = "kefu.contacts"
    label = "contacts"
