from django.apps import AppConfig


class AccountsConfig(AppConfig):
    name = "accounts"
    # allauth's "account" app is titled "Accounts" too; two such sections in the admin confuse.
    verbose_name = "Listeners"
