from django.urls import path

from kefu.helpcenter.views import api, articles, contact, pages

app_name = "helpcenter"
urlpatterns = [
    path("", pages.index, name="index"),
    path("api/search", api.search, name="api_search"),
    path("api/suggestions/submitted", api.suggestion_submitted, name="api_submitted"),
    path("media/<int:pk>/<str:filename>", articles.media, name="media"),
    path("<str:lang>/", pages.home, name="home"),
    path("<str:lang>/search/", articles.search, name="search"),
    path("<str:lang>/categories/<slug:slug>/", articles.category, name="category"),
    path("<str:lang>/articles/<slug:slug>/", articles.article, name="article"),
    path("<str:lang>/articles/<slug:slug>/feedback", articles.article_feedback, name="feedback"),
    path("<str:lang>/contact/", contact.contact, name="contact"),
]
