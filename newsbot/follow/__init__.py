"""Topics people follow, the new articles that match them (by meaning and by words), and a record
of the alerts sent, so nobody is told twice or flooded."""
