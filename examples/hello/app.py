"""Example Lambda handler: validates an order with pydantic and sums it with numpy."""

import numpy as np
from pydantic import BaseModel


class Order(BaseModel):
    id: str
    quantities: list[int]


def handler(event, context):
    order = Order.model_validate(event)
    return {"id": order.id, "total": int(np.sum(order.quantities)), "ok": True}
