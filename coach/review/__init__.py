"""The QA review web app (``coach review``)."""
