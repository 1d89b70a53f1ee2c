using System.Linq.Expressions;
using System.Reflection;
using System.Text.Json;
using System.Text.Json.Nodes;

namespace Mlops.Messaging.Sagas;

/// <summary>
/// Turns the common saga correlation query — property equals value, joined by <c>&amp;&amp;</c> — into a JSONB
/// containment document, which the GIN index answers. Anything else is filtered in memory over the saga type.
/// </summary>
internal static class SagaQueryTranslator
{
    public static bool TryTranslate<TSaga>(Expression<Func<TSaga, bool>> filter, JsonSerializerOptions options, out string containment)
    {
        var document = new JsonObject();
        if (Visit(filter.Body, filter.Parameters[0], document, options) && document.Count > 0)
        {
            containment = document.ToJsonString();
            return true;
        }

        containment = "";
        return false;
    }

    static bool Visit(Expression expression, ParameterExpression parameter, JsonObject document, JsonSerializerOptions options)
    {
        switch (expression)
        {
            case BinaryExpression { NodeType: ExpressionType.AndAlso } and:
                return Visit(and.Left, parameter, document, options) && Visit(and.Right, parameter, document, options);

            case BinaryExpression { NodeType: ExpressionType.Equal } equal:
                if (TryMember(equal.Left, parameter, out var member) && !ReferencesParameter(equal.Right, parameter))
                {
                    return Add(document, member, equal.Right, options);
                }

                if (TryMember(equal.Right, parameter, out member) && !ReferencesParameter(equal.Left, parameter))
                {
                    return Add(document, member, equal.Left, options);
                }

                return false;

            default:
                return false;
        }
    }

    static bool Add(JsonObject document, PropertyInfo property, Expression valueExpression, JsonSerializerOptions options)
    {
        var value = Expression.Lambda(Expression.Convert(valueExpression, typeof(object))).Compile().DynamicInvoke();
        if (value is null)
        {
            // JSON containment cannot express "is null or missing"; leave it to the in-memory filter.
            return false;
        }

        var name = options.PropertyNamingPolicy?.ConvertName(property.Name) ?? property.Name;
        document[name] = JsonSerializer.SerializeToNode(value, property.PropertyType, options);
        return true;
    }

    static bool TryMember(Expression expression, ParameterExpression parameter, out PropertyInfo property)
    {
        while (expression is UnaryExpression { NodeType: ExpressionType.Convert } convert)
        {
            expression = convert.Operand;
        }

        if (expression is MemberExpression { Member: PropertyInfo info } member && member.Expression == parameter)
        {
            property = info;
            return true;
        }

        property = null!;
        return false;
    }

    static bool ReferencesParameter(Expression expression, ParameterExpression parameter)
    {
        var finder = new ParameterFinder(parameter);
        finder.Visit(expression);
        return finder.Found;
    }

    sealed class ParameterFinder(ParameterExpression parameter) : ExpressionVisitor
    {
        public bool Found { get; private set; }

        protected override Expression VisitParameter(ParameterExpression node)
        {
            Found |= node == parameter;
            return node;
        }
    }
}
