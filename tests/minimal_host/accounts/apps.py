from django.apps import AppConfig


class AccountsConfig(AppConfig):
    name = "tests.minimal_host.accounts"
    label = "accounts"
    default_auto_field = "django.db.models.BigAutoField"
