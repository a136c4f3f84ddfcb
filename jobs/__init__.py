"""Jobs that span subgraphs (erasure of a data subject), run by workers beside the relay; above the subgraphs,
below the API and the command line."""
