from django.urls import path

from . import views

app_name = "recommender"
urlpatterns = [
    path("", views.preferences, name="preferences"),
    path("tastes/add/", views.taste_add, name="taste_add"),
    path("tastes/<int:pk>/forget/", views.taste_forget, name="taste_forget"),
    path("tastes/<int:pk>/flip/", views.taste_flip, name="taste_flip"),
    path("votes/<int:track_id>/forget/", views.vote_forget, name="vote_forget"),
]
