"""Failed sign-ins and lockouts go to the audit log, from the web page and the API alike."""

from __future__ import annotations

from typing import Any

from axes.signals import user_locked_out
from django.contrib.auth.signals import user_login_failed
from django.dispatch import receiver

from canpei.accounts.services import record_lockout, record_login_failed


@receiver(user_login_failed, dispatch_uid="canpei.accounts.login_failed")
def _login_failed(sender: Any, credentials: dict[str, Any], request: Any = None,
                  **kwargs: Any) -> None:
    # Django has already replaced the password in `credentials`; only the username is kept.
    record_login_failed(credentials.get("username"), request)


@receiver(user_locked_out, dispatch_uid="canpei.accounts.locked_out")
def _locked_out(sender: Any, request: Any = None, username: Any = None, **kwargs: Any) -> None:
    record_lockout(username, request)
