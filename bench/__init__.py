"""`make bench`: the portal's performance, measured on the whole stack running on this machine.

Not part of `make test`. `python -m bench --help` lists the knobs (smaller runs, one measurement).
"""
