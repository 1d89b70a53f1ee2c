using System.Linq.Expressions;
using MassTransit;

namespace Mlops.Messaging.Sagas;

/// <summary>Saga instances matching a filter; the PostgreSQL repository turns a state equality into an indexed JSONB containment.</summary>
public sealed class SagaStateQuery<TState>(Expression<Func<TState, bool>> filter) : ISagaQuery<TState>
    where TState : class, ISaga
{
    /// <inheritdoc />
    public Expression<Func<TState, bool>> FilterExpression { get; } = filter;

    /// <inheritdoc />
    public Func<TState, bool> GetFilter() => FilterExpression.Compile();
}
