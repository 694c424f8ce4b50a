from django.contrib import admin

from kefu.csat.models import SurveyPolicy


@admin.register(SurveyPolicy)
class SurveyPolicyAdmin(admin.ModelAdmin[SurveyPolicy]):
    list_display = ("enabled", "answer_days", "low_rating_at_most")
