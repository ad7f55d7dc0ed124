"""Print production: what a print and mail vendor's preflight needs on every batch file.

The Intelligent Mail barcode (``imb``), the inserter's DataMatrix on every page and the
barcode in the window (``marks``), and the finishing of each file as PDF/VT-1 on PDF/X-4:
black as DeviceGray, an output intent with an embedded CMYK profile, XMP identification,
TrimBoxes, one copy of each font program and document parts per piece (``finish``), on the full
renderer's files through pikepdf; the fast renderer's batch files are written as bytes in one pass,
with the same marks and finishing (``writer``, on ``pdfbytes``' relocatable objects).
"""
