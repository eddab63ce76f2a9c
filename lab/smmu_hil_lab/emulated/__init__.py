"""The emulated lab: what stands in for lab hardware when the DUT is the
emulated QEMU server run as a real one (the ssh target with `emulated:
true`): ipmi_sim as its BMC (ipmi_sim.py) and per-run SSH keys (keys.py).
Real labs do not use this package."""
