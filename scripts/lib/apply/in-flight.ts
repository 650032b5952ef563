// Temp files being written right now, by downloads and by folder-remote uploads. On ^C or
// SIGTERM the recipe shell (cli.ts) removes them, so an interrupted run leaves nothing behind.
export const inFlight = new Set<string>();
