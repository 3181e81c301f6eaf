"""Background work in the catalog database: a persistent queue (`queue`), what each job
type does (`handlers`), periodic syncs (`scheduler`), the loop that runs jobs (`worker`)
and the same inside `reel serve` (`embedded`)."""
