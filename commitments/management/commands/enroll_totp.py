from django.contrib.auth import get_user_model
from django.core.management.base import BaseCommand, CommandError
from django_otp.plugins.otp_totp.models import TOTPDevice


class Command(BaseCommand):
    help = (
        "Recovery only: give a staff user an authenticator (TOTP) device, already confirmed, and "
        "print the key to add to their app. Staff normally set one up themselves in the admin "
        "(Two-factor page), which confirms the device with a code before it counts."
    )

    def add_arguments(self, parser):
        parser.add_argument("username")
        parser.add_argument("--name", default="authenticator", help="Label for the device.")

    def handle(self, *args, username, name, **options):
        User = get_user_model()
        try:
            user = User.objects.get(username=username, is_staff=True)
        except User.DoesNotExist:
            raise CommandError(f"No staff user called {username!r}.") from None
        device = TOTPDevice.objects.create(user=user, name=name, confirmed=True)
        self.stdout.write(
            f"Add this to {username}'s authenticator app (scan as a link, or type the key):\n"
            f"  {device.config_url}\n"
            f"Then log in with the password and the app's current 6-digit code."
        )
