"""`python -m massbal.cli`."""
from massbal.cli import main

main()
