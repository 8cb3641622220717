"""massbal in xlwings Lite: the MASSBAL worksheet functions and the Mass Balance buttons.

Paste this file into xlwings Lite's main.py and requirements.txt beside it (see
addin/README.md). The functions (MASSBAL, MASSBAL.BEGINNING, ... MASSBAL.UNACCOUNTED)
and the scripts (Reconcile, Validate lots, Trace lot, Export for inspector, New
workbook) are made by massbal.excel.lite from the code the desktop add-in runs too, so
Lite and desktop give the same figures and sheets.
"""
from massbal.excel.lite import main_module_names

globals().update(main_module_names())
