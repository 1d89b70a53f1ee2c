using Mlops.Cli;

return await CliApp.Build().Parse(args).InvokeAsync();
