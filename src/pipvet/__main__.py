from pipvet.cli import console_main

console_main()
