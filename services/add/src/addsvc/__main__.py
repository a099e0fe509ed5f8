"""`python -m addsvc` runs the add service."""

from addsvc.main import main

main()
