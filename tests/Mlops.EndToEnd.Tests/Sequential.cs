// The journey classes each start the services with the shipped queue names and consumer groups; two platforms at once
// would take each other's messages, so this assembly's test classes run one after another.
[assembly: CollectionBehavior(DisableTestParallelization = true)]
