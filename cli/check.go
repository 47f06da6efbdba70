package cli

func check(args []string, env Env) int { return 2 }
