from django.urls import path

from autocollect.scripts import views

app_name = "scripts"
urlpatterns = [
    path("", views.library, name="library"),
    path("new/", views.create, name="create"),
    path("<int:pk>/", views.detail, name="detail"),
    path("<int:pk>/edit/", views.new_version, name="edit"),
    path("<int:pk>/activate/", views.activate, name="activate"),
    path("<int:pk>/retire/", views.retire, name="retire"),
]
