// The tool's version, recorded in every journal record and Hub commit.
export const TOOL_VERSION = '0.1.0';
