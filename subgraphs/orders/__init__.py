"""Orders: orders and their lines from every sales channel, and the customer's purchase summary."""

from subgraphs.kit.part import SubgraphPart
from subgraphs.orders.mutations import OrdersMutation
from subgraphs.orders.queries import OrdersQuery
from subgraphs.orders.types import OrderAccountFederatedFields, OrderAccountFields, OrderCustomerFields

PART = SubgraphPart(
    "orders",
    OrderCustomerFields,
    OrdersQuery,
    mutation=OrdersMutation,
    account_fields=(OrderAccountFields,),
    federated_account_fields=(OrderAccountFederatedFields,),
)
