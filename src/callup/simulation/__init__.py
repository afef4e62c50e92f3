"""Simulated responses that drive a drawn campaign through every feature (rehearsals, the demo, tests).

It sits above every feature it drives: it answers summonses, decides cases and inducts as people
and officers would, each step through the owning feature's public services.
"""
