from django.urls import path

from . import mood_page, views

app_name = "chat"
urlpatterns = [
    path("", views.home, name="home"),
    path("chat/", views.chat, name="chat"),
    path("mood/", mood_page.mood, name="mood"),
]
