"""Signals of trading.accounts that higher packages connect to in their init_app (docs/architecture.md).

- `user_created(user, speciality=, actor=)`: sent by `flask users create` after the user is flushed; the tenders
  package records an expert's speciality (its expert pool).
"""

from blinker import Namespace

_signals = Namespace()
user_created = _signals.signal("user-created")
