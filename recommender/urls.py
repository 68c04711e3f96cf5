from django.urls import path

from . import views

app_name = "recommender"
urlpatterns = [
    path("", views.preferences, name="preferences"),
    path("tastes/<int:pk>/forget/", views.taste_forget, name="taste_forget"),
]
