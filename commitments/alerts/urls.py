from django.urls import path

from commitments.alerts import views as alerts

urlpatterns = [
    path("", alerts.subscribe, name="alerts-subscribe"),
    path("confirm/<str:token>/", alerts.confirm, name="alerts-confirm"),
    path("unsubscribe/<str:token>/", alerts.unsubscribe, name="alerts-unsubscribe"),
    path("manage/<str:token>/", alerts.manage, name="alerts-manage"),
]
