"""Public email alerts: readers follow a pledge, a company or everything.

- subscriptions.py: asking, confirming (double opt-in) and leaving.
- fanout.py: turning pledge events into one Notification row per address.
- emails.py: the ALERT and CONFIRM message builders (List-Unsubscribe on alerts).
- tokens.py: the signed links; forms.py: the public forms.
"""
