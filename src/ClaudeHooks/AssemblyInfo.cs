using System.Runtime.Versioning;

// The service drives a Linux Docker engine and relies on Unix file modes for its secret files.
[assembly: SupportedOSPlatform("linux")]
