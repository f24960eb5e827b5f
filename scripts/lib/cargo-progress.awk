# Turns cargo's progress bar (CARGO_TERM_PROGRESS_WHEN=always, split at \r) into a line
# at every tenth of the way; passes warnings and errors through; drops per-crate status.
BEGIN { srand(); start = srand(); next_pct = 10 }
/^ *Building \[/ {
  if (match($0, /[0-9]+\/[0-9]+/)) {
    split(substr($0, RSTART, RLENGTH), n, "/")
    pct = int(100 * n[1] / n[2])
    if (pct >= next_pct) {
      srand(); now = srand()
      printf "run: building the host: %d of %d crates (%d%%), %d min %02d s\n", n[1], n[2], pct, (now - start) / 60, (now - start) % 60
      fflush()
      next_pct = pct - pct % 10 + 10
    }
  }
  next
}
/^ *(Compiling|Fresh|Checking|Locking|Adding|Downloaded|Blocking) / { next }
/^[ \t]*$/ { next }
{ print; fflush() }
