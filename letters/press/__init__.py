"""Print production: what a print and mail vendor's preflight needs on every batch file.

The Intelligent Mail barcode (``imb``), the inserter's DataMatrix on every page and the
barcode in the window (``marks``), and the finishing of each file: black as DeviceGray, an
output intent, XMP metadata and PDF/VT-style document parts per piece (``finish``).
"""
