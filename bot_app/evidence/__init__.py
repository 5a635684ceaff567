"""Evidence bundles: a case's whole record, for the Hub and administrators to hand over.

A practice review may be scrutinised by the national panel, an inspectorate or a court. The
bundle is the case's trail in order - who did what, when and why - with the deadlines met or
missed, who viewed the details and a check of the trail's fingerprints, downloadable for a
short while through a link only the person who asked for it can use.
"""
