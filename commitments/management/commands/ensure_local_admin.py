import secrets

from django.conf import settings
from django.contrib.auth import get_user_model
from django.core.management.base import BaseCommand, CommandError


class Command(BaseCommand):
    help = (
        "Make sure a local superuser exists for development and print how to log in. "
        "The password is generated on first use and kept in var/ (never in the repository)."
    )

    def add_arguments(self, parser):
        parser.add_argument("--username", default="admin")

    def handle(self, *args, username, **options):
        if settings.PRODUCTION:
            raise CommandError("Refusing to create a local admin account in production.")
        password_file = settings.VAR_DIR / "local-admin-password"
        User = get_user_model()
        user = User.objects.filter(username=username).first()
        if user is None or not password_file.exists():
            password = secrets.token_urlsafe(12)
            user = user or User(username=username, email=f"{username}@localhost")
            user.is_staff = user.is_superuser = user.is_active = True
            user.set_password(password)
            user.save()
            password_file.write_text(password)
            password_file.chmod(0o600)
        password = password_file.read_text().strip()
        self.stdout.write(
            f"Staff login: {settings.SITE_URL}/{settings.ADMIN_URL}  "
            f"user {username!r}, password {password!r} (kept in {password_file.relative_to(settings.BASE_DIR)})"
        )
