"""Signals for higher packages (tenders): the certificates package never imports them.

- `objection_resolved(obj, actor=, reason=, upheld=)`: sent when an objection without a project (a tender lot's,
  linked by its own package) is dismissed or upheld; the receiver applies the consequences in the same transaction.
- `objection_subject(obj)`: asked by the staff objection desk for an objection without a project; a receiver that
  owns it returns {"code", "title", "url"} for the heading.
- `paper_page(number)`: asked by the verification page for a paper a `verify_unrecognised` receiver recognised; the
  owner returns {"url", "title"} of the paper's own page, "url" None when the current viewer may not open it (no link).
- `verify_unrecognised(data, digest=)`: sent by POST /certificates/verify for a PDF that is no certificate; a
  receiver that recognises it (an award notice) returns the verify answer {"valid", "number", "status", "reason"}.
"""

from blinker import Namespace

_signals = Namespace()
objection_resolved = _signals.signal("objection-resolved")
verify_unrecognised = _signals.signal("verify-unrecognised")
objection_subject = _signals.signal("objection-subject")


def describe_objection(obj) -> dict | None:
    for _receiver, answer in objection_subject.send(obj):
        if answer:
            return answer
    return None
paper_page = _signals.signal("paper-page")


def page_of_paper(number: str) -> dict | None:
    for _receiver, answer in paper_page.send(number):
        if answer:
            return answer
    return None
