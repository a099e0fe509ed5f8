"""`python -m trimsvc` runs the trim service."""

from trimsvc.main import main

main()
