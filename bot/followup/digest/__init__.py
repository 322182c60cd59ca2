"""The coordinators' digest: a week's figures from SQL (``figures``), its chart
(``chart``), the week's handovers as a CSV (``spreadsheet``), and posting it on its day
and on demand (``weekly``)."""
