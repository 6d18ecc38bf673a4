from canpei.cli import main

raise SystemExit(main())
