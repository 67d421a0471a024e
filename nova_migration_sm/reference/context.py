#    Licensed under the Apache License, Version 2.0 (the "License"); you may
#    not use this file except in compliance with the License. You may obtain
#    a copy of the License at
#
#         http://www.apache.org/licenses/LICENSE-2.0
#
#    Unless required by applicable law or agreed to in writing, software
#    distributed under the License is distributed on an "AS IS" BASIS, WITHOUT
#    WARRANTIES OR CONDITIONS OF ANY KIND, either express or implied. See the
#    License for the specific language governing permissions and limitations
#    under the License.

"""The request context the reference objects and DB API use."""

from oslo_context import context
from oslo_db.sqlalchemy import enginefacade


@enginefacade.transaction_context_provider
class RequestContext(context.RequestContext):
    """An oslo.context request context that carries a DB transaction.

    ``read_deleted`` is ``'no'``, ``'yes'`` or ``'only'`` as in Nova;
    ``db_connection`` selects another database (Nova's target cell).
    """

    def __init__(self, *args, read_deleted: str = 'no', **kwargs) -> None:
        super().__init__(*args, **kwargs)
        self.read_deleted = read_deleted
        self.db_connection = None

    def to_dict(self) -> dict:
        values = super().to_dict()
        values['read_deleted'] = self.read_deleted
        return values

    @classmethod
    def from_dict(cls, values: dict, **kwargs) -> 'RequestContext':
        kwargs.setdefault('read_deleted', values.get('read_deleted', 'no'))
        return super().from_dict(values, **kwargs)


def get_admin_context(read_deleted: str = 'no') -> RequestContext:
    """A context for services and tools, with admin rights."""
    return RequestContext(is_admin=True, read_deleted=read_deleted,
                          overwrite=False)
