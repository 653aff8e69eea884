using ClaudeHooks.Bench;

// Benchmarks print figures; they assert nothing. Usage: bench/run [ndjson] [dispatch] [api] [sandbox] [webhook] [gateway] [output] [dashboard] [runs]
var modes = args.Length == 0 ? ["ndjson", "dispatch", "api", "sandbox", "webhook", "gateway", "output", "dashboard"] : args.TakeWhile(a => !int.TryParse(a, out _)).ToArray();
var runs = args.Select(a => int.TryParse(a, out var n) ? n : 0).FirstOrDefault(n => n > 0, 20);
foreach (var mode in modes)
{
    switch (mode)
    {
        case "ndjson":
            await NdjsonBenchmark.RunAsync();
            break;
        case "dispatch":
            await DispatchBenchmark.RunAsync(runs);
            break;
        case "api":
            await ApiBenchmark.RunAsync(runs);
            break;
        case "sandbox":
            await SandboxBenchmark.RunAsync(runs);
            break;
        case "webhook":
            await WebhookBenchmark.RunAsync();
            break;
        case "gateway":
            await GatewayBenchmark.RunAsync(runs);
            break;
        case "output":
            await OutputBenchmark.RunAsync();
            break;
        case "dashboard":
            await DashboardBenchmark.RunAsync();
            break;
        default:
            Console.Error.WriteLine($"unknown benchmark {mode}; use ndjson, dispatch, api, sandbox, webhook, gateway, output or dashboard");
            return 2;
    }
}

return 0;
