"""letters: document generation for vehicle recall and service-campaign communications.

The pipeline runs campaign -> records -> eligibility -> render -> batch -> write; each
stage is one module (or subpackage) of this package.
"""

from letters.errors import LettersError
from letters.render.native import quick_library_lookup, tune_allocator

quick_library_lookup()
tune_allocator()

__all__ = ["LettersError"]
__version__ = "0.1.0"
