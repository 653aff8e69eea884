using System.Text;
using System.Text.Json;
using ClaudeHooks.Config;
using ClaudeHooks.Workdir;

namespace ClaudeHooks.Api;

/// <summary>
/// A validated <c>POST /task</c> body. Only these fields exist: nothing in a request can choose a mount or privilege,
/// and an image only among those the operator lists in <c>images.selectable</c>.
/// </summary>
internal sealed record TaskSubmission(string Agent, string Repo, string? BaseRef, string Prompt, string? Thread, TimeSpan? Timeout, string? Image = null)
{
    private static readonly string[] Fields = ["agent", "repo", "base_ref", "prompt", "thread", "timeout", "image"];

    /// <summary>Parses and checks a body; on failure gives the status code and field errors.</summary>
    public static (TaskSubmission? Submission, int Status, Dictionary<string, string> Errors) Parse(byte[] body, AgentsConfig config)
    {
        var errors = new Dictionary<string, string>(StringComparer.Ordinal);
        JsonDocument document;
        try
        {
            document = JsonDocument.Parse(body, new JsonDocumentOptions { MaxDepth = 16 });
        }
        catch (JsonException e)
        {
            errors["body"] = $"not valid JSON ({e.Message.Split('.')[0]}); send an object such as {{\"agent\":\"dev\",\"repo\":\"https://...\",\"prompt\":\"...\"}}";
            return (null, StatusCodes.Status400BadRequest, errors);
        }

        using (document)
        {
            var root = document.RootElement;
            if (root.ValueKind != JsonValueKind.Object)
            {
                errors["body"] = "must be a JSON object";
                return (null, StatusCodes.Status400BadRequest, errors);
            }

            foreach (var property in root.EnumerateObject().Where(p => !Fields.Contains(p.Name)))
            {
                errors[property.Name] = $"unknown field; a task has only {string.Join(", ", Fields)} (containers are configured by the operator, not per task)";
            }

            string? Text(string name, bool required)
            {
                if (!root.TryGetProperty(name, out var value) || value.ValueKind == JsonValueKind.Null)
                {
                    if (required)
                    {
                        errors[name] = "is required";
                    }

                    return null;
                }

                if (value.ValueKind != JsonValueKind.String || value.GetString()!.Trim().Length == 0)
                {
                    errors[name] = "must be a non-empty string";
                    return null;
                }

                return value.GetString();
            }

            var agent = Text("agent", required: true);
            var repo = Text("repo", required: true);
            var baseRef = Text("base_ref", required: false);
            var prompt = Text("prompt", required: true);
            var thread = Text("thread", required: false);
            var timeoutText = Text("timeout", required: false);
            var image = Text("image", required: false);

            AgentConfig? agentConfig = null;
            if (agent is not null && (agentConfig = config.Find(agent)) is null)
            {
                errors["agent"] = $"no agent named \"{agent}\"; use one of {string.Join(", ", config.Agents.Select(a => a.Name))}";
            }

            Check(errors, "repo", repo, r => RepositoryUrl.Parse(r, config.Workdir.AllowLocalRepos));
            if (image is not null && Selectable(config, image) is { } problem)
            {
                errors["image"] = problem;
            }

            if (agentConfig is not null && repo is not null && !errors.ContainsKey("repo")
                && config.RepositoryFor(RepositoryUrl.Parse(repo, config.Workdir.AllowLocalRepos)) is { } settings && !settings.Allows(agentConfig.Name))
            {
                errors["agent"] = $"agent {agentConfig.Name} may not work on this repository ({settings.KeyPath("agents")} lists {string.Join(", ", settings.Agents!)}); use one of those";
            }
            Check(errors, "base_ref", baseRef, r => GitNames.Ref(r));
            Check(errors, "thread", thread, t => GitNames.Thread(t));

            TimeSpan? timeout = null;
            if (timeoutText is not null)
            {
                if (!Duration.TryParse(timeoutText, out var parsed))
                {
                    errors["timeout"] = $"\"{timeoutText}\" is not a duration; use a form such as \"30m\" or \"1h\"";
                }
                else if (agentConfig is not null && parsed > agentConfig.Runner.Timeout)
                {
                    errors["timeout"] = $"{Duration.Format(parsed)} is above agent {agentConfig.Name}'s limit of {Duration.Format(agentConfig.Runner.Timeout)} (runner.timeout); ask for less";
                }
                else
                {
                    timeout = parsed;
                }
            }

            if (prompt is not null && Encoding.UTF8.GetByteCount(prompt) > config.Service.MaxPromptBytes)
            {
                return (null, StatusCodes.Status413PayloadTooLarge, new Dictionary<string, string>
                {
                    ["prompt"] = $"{Encoding.UTF8.GetByteCount(prompt)} bytes is over the {config.Service.MaxPromptBytes}-byte limit (service.max_prompt_bytes); shorten it or point the agent at a file in the repository",
                });
            }

            return errors.Count > 0
                ? (null, StatusCodes.Status400BadRequest, errors)
                : (new TaskSubmission(agent!, repo!, baseRef, prompt!, thread, timeout, image is null ? null : Containers.Stacks.IsStack(image) ? Containers.Stacks.Image(image) : image), StatusCodes.Status202Accepted, errors);
        }
    }

    /// <summary>Why a requested image may not be used, or null: only the operator's <c>images.selectable</c> (stack names stand for their images).</summary>
    public static string? Selectable(AgentsConfig config, string image)
    {
        var wanted = Containers.Stacks.IsStack(image) ? Containers.Stacks.Image(image) : image;
        if (config.Images.Selectable.Contains(wanted, StringComparer.Ordinal))
        {
            return null;
        }

        return config.Images.Selectable.Count == 0
            ? "no image may be chosen per task (images.selectable is empty); leave the field out, or ask the operator to list the image there"
            : $"\"{image}\" is not selectable; use one of {string.Join(", ", config.Images.Selectable)} (images.selectable)";
    }

    private static void Check(Dictionary<string, string> errors, string field, string? value, Action<string> validate)
    {
        if (value is null)
        {
            return;
        }

        try
        {
            validate(value);
        }
        catch (InvalidRepositoryException e)
        {
            errors[field] = e.Message;
        }
    }
}
