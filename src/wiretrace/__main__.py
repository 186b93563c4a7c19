from wiretrace.cli import main

raise SystemExit(main())
