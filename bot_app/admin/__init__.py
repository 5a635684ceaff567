"""Administration: who holds which role, whether a trail is intact, and what is kept how long.

The partnership answers for its records - to the people named in them, to an inspection, in
court - so every change of role is audited with its reason, every trail can be re-checked for
tampering, and closed cases are anonymised or deleted only under the published retention
policy, unless a legal hold says otherwise. The directory file, the trail check and the
retention run also work from the command line (``python -m bot_app.admin.directory`` etc.).
"""
