"""The route optimiser: plain data in, plain data out, no Django.

`problem` holds the inputs (jobs, workers, who may do what), `travel` the distance and time
between places, `solver` builds the PyVRP model and reads its answer back into a `Plan`,
`schedule` times a sequence of visits (used to check any plan, ours or a baseline's), `explain`
says why a job went to a worker or was left out, `solomon` reads the VRPTW benchmark files.
"""
