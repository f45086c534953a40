from alertdrill.cli import main

raise SystemExit(main())
