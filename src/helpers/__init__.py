"""Scrutiny Packs: children's social care figures for scrutiny committees.

The package turns official releases (DfE, ONS, MHCLG, Ofsted) and a council's
own monthly figures into one tidy indicator store, compares a council with its
statistical neighbours, region and England, and renders scrutiny packs.
"""

__version__ = "0.1.0"
