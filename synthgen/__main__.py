from synthgen.cli import main

raise SystemExit(main())
